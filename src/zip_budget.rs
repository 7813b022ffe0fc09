//! Memory limits for zip members (zip-bomb guards). A member is inflated only when a command
//! reads it, into memory that counts against a process-wide budget until the bytes are dropped:
//!
//! - `DICOMKIT_ZIP_MEMBER_MAX` (bytes, default 512 MiB): the largest member inflated; a larger
//!   one is refused (by its declared size before inflating, by its real size while inflating).
//! - `DICOMKIT_ZIP_BUDGET` (bytes, default 1 GiB): the bytes of all members inflated and not yet
//!   dropped, across threads. A member that does not fit waits for others to be dropped; one
//!   that alone exceeds the budget is refused.
//! - A member that inflates to more than [`RATIO_FLOOR`] bytes at a compression ratio above
//!   [`MAX_RATIO`]:1 is refused as a zip bomb, checked while inflating.
//!
//! The peak memory of a zip run is therefore about the budget plus the command's own working
//! memory, whatever the archive holds.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, OnceLock};

/// Default per-member limit: 512 MiB.
pub const DEFAULT_MEMBER_MAX: u64 = 512 << 20;
/// Default budget of inflated bytes held at once: 1 GiB.
pub const DEFAULT_BUDGET: u64 = 1 << 30;
/// Highest compression ratio accepted (past [`RATIO_FLOOR`] bytes of output).
pub const MAX_RATIO: u64 = 1000;
/// Output size below which the compression ratio is not checked (small blank members are fine).
pub const RATIO_FLOOR: u64 = 8 << 20;

/// The limits in force (read once from the environment; invalid values are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest member inflated.
    pub member_max: u64,
    /// Bytes of inflated members held at once.
    pub budget: u64,
}

fn env_bytes(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// The limits from `DICOMKIT_ZIP_MEMBER_MAX` and `DICOMKIT_ZIP_BUDGET` (defaults otherwise).
pub fn limits() -> Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    *LIMITS.get_or_init(|| Limits {
        member_max: env_bytes("DICOMKIT_ZIP_MEMBER_MAX", DEFAULT_MEMBER_MAX),
        budget: env_bytes("DICOMKIT_ZIP_BUDGET", DEFAULT_BUDGET),
    })
}

struct Pool {
    used: Mutex<u64>,
    freed: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        used: Mutex::new(0),
        freed: Condvar::new(),
    })
}

thread_local! {
    /// Permits held by this thread: a thread that holds one never waits for another (it could
    /// wait for itself).
    static HELD: Cell<u64> = const { Cell::new(0) };
}

/// A share of the budget, given back when dropped.
#[derive(Debug)]
pub struct Permit {
    bytes: u64,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let pool = pool();
        let mut used = pool.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(self.bytes);
        drop(used);
        pool.freed.notify_all();
        HELD.with(|h| h.set(h.get().saturating_sub(1)));
    }
}

/// Take `bytes` of the budget, waiting for other members to be dropped when needed. Refused
/// (with the reason) when `bytes` alone exceeds the budget, or when it does not fit and this
/// thread already holds a share (waiting could never end).
pub fn acquire(bytes: u64) -> Result<Permit, String> {
    let budget = limits().budget;
    if bytes > budget {
        return Err(format!(
            "the member needs {bytes} bytes, more than the zip memory budget of {budget} bytes \
             (DICOMKIT_ZIP_BUDGET)"
        ));
    }
    let pool = pool();
    let mut used = pool.used.lock().unwrap_or_else(|e| e.into_inner());
    while *used + bytes > budget {
        if HELD.with(Cell::get) > 0 {
            return Err(format!(
                "the member needs {bytes} bytes and the zip memory budget of {budget} bytes \
                 (DICOMKIT_ZIP_BUDGET) is in use"
            ));
        }
        used = pool.freed.wait(used).unwrap_or_else(|e| e.into_inner());
    }
    *used += bytes;
    HELD.with(|h| h.set(h.get() + 1));
    Ok(Permit { bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_are_given_back_and_oversize_refused() {
        let budget = limits().budget;
        assert!(acquire(budget + 1).is_err());
        let p = acquire(budget).unwrap();
        // The same thread holds the whole budget: a second share is refused, not awaited.
        let e = acquire(1).unwrap_err();
        assert!(e.contains("in use"), "{e}");
        drop(p);
        let q = acquire(budget).unwrap();
        drop(q);
    }
}
