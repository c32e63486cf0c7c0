"""Personal information (个人信息保护法): export and erase one customer, masked display by role,
and the access trail. Owns the ``privacy_trail`` and ``privacy_exports`` tables and the
``[privacy]`` settings; reads the other packages' tables only to export or erase one contact.
"""
