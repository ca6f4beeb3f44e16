# pohoda-extract links FreeTDS db-lib.  The unit test of its pure parts
# (values, names, the writer) is built with it, into $(OBJ)/unit.
PKGS_pohoda-extract = libisal
LIBS_pohoda-extract = -lsybdb -lm -lpthread

all: $(OBJ)/unit/extract-value

EXTRACT_UNIT_OBJ = $(OBJ)/tests/unit/extract-value.o \
	$(addprefix $(OBJ)/tools/pohoda-extract/,value.o names.o out.o)

$(OBJ)/unit/extract-value: $(EXTRACT_UNIT_OBJ) $(OBJ)/libpohoda.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ \
	    $(call pkgflags,libs,$(PKGS_lib) $(PKGS_pohoda-extract)) \
	    -lm -lpthread

# the character conversions against glibc's iconv (so without iconv.c)
all: $(OBJ)/unit/extract-conv

$(OBJ)/unit/extract-conv: $(OBJ)/tests/unit/extract-conv.o \
    $(OBJ)/tools/pohoda-extract/conv.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
