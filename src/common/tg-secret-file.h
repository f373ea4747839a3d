/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest client secret file either side reads. */
#define TG_SECRET_FILE_MAX_SIZE 4096

char *tg_secret_file_parse (const char  *contents,
                            gsize        length,
                            const char  *shown,
                            GError     **error);
char *tg_secret_file_read  (const char  *path,
                            const char  *shown,
                            GError     **error);

G_END_DECLS
