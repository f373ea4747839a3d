/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void     tg_test_init          (int          *argc,
                                char       ***argv);
void     tg_test_wait          (gboolean     *done,
                                guint         timeout_seconds);
gboolean tg_test_wait_until    (gboolean    (*predicate) (gpointer user_data),
                                gpointer      user_data,
                                guint         timeout_seconds);
void     tg_test_iterate_for   (guint         ms);
char    *tg_test_make_tmpdir   (void);
void     tg_test_rm_rf         (const char   *path);
void     tg_test_assert_finalize_soon (gpointer object);
guint16  tg_test_closed_port   (void);
gboolean tg_test_make_tls_files (const char  *dir,
                                 char       **out_cert_path,
                                 char       **out_key_path,
                                 GError     **error);

/* How a child program ended, and what it wrote. */
typedef struct {
  int   status;  /* exit status */
  char *out;
  char *err;
} TgTestRun;

const char *tg_test_binary (const char *variable);
TgTestRun  *tg_test_run_wait (GSubprocess *process,
                              const char  *input,
                              const char  *err_so_far);
void        tg_test_run_free (TgTestRun   *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestRun, tg_test_run_free)
GSubprocessLauncher *tg_test_child_launcher (GSubprocessFlags flags);

G_END_DECLS
