PKGS_pohoda-batch = libisal
LIBS_pohoda-batch = -lpthread
