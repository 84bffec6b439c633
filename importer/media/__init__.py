"""Media: which files a site uses (attachments, their sizes, files its HTML references) and which hosts may serve them."""
