# ---- fuzz (included from Makefile.am) ----
