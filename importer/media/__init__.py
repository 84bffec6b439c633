"""Media: which files a site uses (attachments, their sizes, files its HTML references) and which hosts may serve them."""

OG_IMAGE_KEY = "_wparchive_og_image"  # postmeta of a scraped page's post: the picture it announced (og:image)
