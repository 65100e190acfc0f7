# ---- import (included from Makefile.am) ----
