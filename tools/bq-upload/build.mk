PKGS_bq-upload = libcurl
