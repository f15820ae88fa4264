/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
#include <ub/base.h>

static const char *const names[UB_ERR_MAX_] = {
    [UB_OK] = "success",
    [UB_ENOMEM] = "out of memory",
    [UB_EINVAL] = "invalid argument",
    [UB_EPROTO] = "malformed input",
    [UB_ETOOBIG] = "size limit exceeded",
    [UB_EAGAIN] = "try again later",
    [UB_ETIMEDOUT] = "timed out",
    [UB_EDB] = "storage error",
    [UB_ENOTFOUND] = "not found",
    [UB_EEXIST] = "already exists",
    [UB_EIO] = "I/O error",
    [UB_EFULL] = "store or queue full",
    [UB_ECLOSED] = "peer or session closed",
    [UB_EAUTH] = "authentication or permission failure",
    [UB_ESTATE] = "not allowed in this state",
    [UB_ECONFIG] = "bad configuration",
    [UB_EVERSION] = "unsupported version",
    [UB_ECORRUPT] = "stored data is corrupt",
    [UB_ENOTSUP] = "not supported",
};

const char *ub_strerror(int err)
{
    if (err < 0 || err >= UB_ERR_MAX_ || !names[err])
        return "unknown error";
    return names[err];
}
