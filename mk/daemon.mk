# ---- daemon (included from Makefile.am) ----
