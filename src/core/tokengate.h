/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The one header applications include: libtokengate-1's public API. */

#define TOKENGATE_INSIDE

#include "tg-version-macros.h"
#include "tg-version.h"

#include "tg-api-client.h"
#include "tg-auth-error.h"
#include "tg-auth-protocol.h"
#include "tg-browser-sign-in.h"
#include "tg-burst.h"
#include "tg-client-config.h"
#include "tg-demo-controls.h"
#include "tg-enums.h"
#include "tg-errors.h"
#include "tg-provider.h"
#include "tg-request-log.h"
#include "tg-request-summary.h"
#include "tg-token-manager.h"
#include "tg-token-store.h"
#include "tg-tokens.h"
#include "tg-user-info.h"

#undef TOKENGATE_INSIDE
