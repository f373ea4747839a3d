/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* OWASP's 2023 figure for PBKDF2-HMAC-SHA256. Tests pass a smaller count. */
#define TG_PASSWORD_DEFAULT_ITERATIONS 600000

char     *tg_password_hash   (const char *password,
                              guint       iterations);
gboolean  tg_password_verify (const char *password,
                              const char *encoded);
guint     tg_password_get_iterations (const char *encoded);

G_END_DECLS
