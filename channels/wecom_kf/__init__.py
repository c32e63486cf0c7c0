"""WeCom 微信客服 channel: encrypted callbacks, sync_msg pulling, send_msg, service_state."""
