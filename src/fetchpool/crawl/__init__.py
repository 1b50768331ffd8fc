"""Websites as sources of links: pages read for their links, robots.txt and sitemaps."""
