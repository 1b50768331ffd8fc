"""Documents as sources: the links in Markdown, HTML and reStructuredText files, with
the line and column of each, and the anchors a document offers to ``#fragment`` links."""
