"""WeChat Official Account (公众号) channel: webhook, passive replies, customer service API."""
