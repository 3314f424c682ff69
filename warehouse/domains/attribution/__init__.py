"""Revenue change attribution: why a casino metric such as coinIn changed on a day."""
