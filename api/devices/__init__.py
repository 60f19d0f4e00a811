"""Camera-AI, sensor and drone feeds: the device registry, signed webhooks, captures, readings, alerts."""
