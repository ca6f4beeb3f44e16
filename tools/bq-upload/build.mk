PKGS_bq-upload = libcurl
# the objects share the program's own header too
$(patsubst %.c,$(OBJ)/%.o,$(wildcard tools/bq-upload/*.c)): \
    tools/bq-upload/bq.h
