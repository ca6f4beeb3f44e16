PKGS_pohoda-batch = libisal
