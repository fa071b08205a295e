"""Tests of generator.site: any Hugo-style content tree -> a static site."""
