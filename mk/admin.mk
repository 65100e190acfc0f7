# ---- admin (included from Makefile.am) ----
