"""SMS through an Aliyun-style gateway (SendSms): replies and notices, receipts, inbound SMS."""
