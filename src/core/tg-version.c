/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tg-version.h"

/**
 * tg_get_major_version:
 *
 * The major version of the libtokengate-1 the program runs with, which may
 * differ from %TG_MAJOR_VERSION, the one it was compiled against.
 *
 * Returns: the major version
 */
guint
tg_get_major_version (void)
{
  return TG_MAJOR_VERSION;
}

/**
 * tg_get_minor_version:
 *
 * The minor version of the libtokengate-1 the program runs with.
 *
 * Returns: the minor version
 */
guint
tg_get_minor_version (void)
{
  return TG_MINOR_VERSION;
}

/**
 * tg_get_micro_version:
 *
 * The micro version of the libtokengate-1 the program runs with.
 *
 * Returns: the micro version
 */
guint
tg_get_micro_version (void)
{
  return TG_MICRO_VERSION;
}
