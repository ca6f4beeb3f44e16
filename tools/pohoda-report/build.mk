PKGS_pohoda-report = libcurl
