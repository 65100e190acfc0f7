# ---- chkpwd (included from Makefile.am) ----
