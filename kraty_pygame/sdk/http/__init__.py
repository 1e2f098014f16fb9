"""The SDK's HTTP stack: abortable tries, the retry rules, stream opening."""
