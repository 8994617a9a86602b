//! A configuration's boot part, read only at start, against its live part, which a reload
//! applies: each binary lists its boot keys once ([`BootKey`]), and [`diff`] both names the keys
//! a reloaded file changed and keeps their running values, so a key can never be kept without
//! being reported, or reported without being kept.

/// One key read only at start: its name in the file, whether it differs, how the running value
/// is kept.
pub struct BootKey<C> {
    pub name: &'static str,
    pub changed: fn(&C, &C) -> bool,
    pub keep: fn(&C, &mut C),
}

/// What a reload does.
#[derive(Debug)]
pub struct Reload<C> {
    /// The configuration to run: the file's live part, the boot part as it runs.
    pub apply: C,
    /// The boot keys the file changed, which take effect at the next start.
    pub at_restart: Vec<&'static str>,
}

/// A reload from the running `old` to the file's `new`: pure, so a test holds every key to it.
pub fn diff<C>(boot: &[BootKey<C>], old: &C, mut new: C) -> Reload<C> {
    let at_restart = boot
        .iter()
        .filter(|key| (key.changed)(old, &new))
        .map(|key| key.name)
        .collect();
    for key in boot {
        (key.keep)(old, &mut new);
    }
    Reload {
        apply: new,
        at_restart,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Config {
        port: u16,
        level: &'static str,
    }

    const BOOT: &[BootKey<Config>] = &[BootKey {
        name: "port",
        changed: |old, new| old.port != new.port,
        keep: |old, new| new.port = old.port,
    }];

    #[test]
    fn boot_keys_are_named_and_kept_and_the_rest_applies() {
        let old = Config {
            port: 1,
            level: "info",
        };
        let reload = diff(
            BOOT,
            &old,
            Config {
                port: 2,
                level: "debug",
            },
        );
        assert_eq!(reload.at_restart, ["port"]);
        assert_eq!(
            reload.apply,
            Config {
                port: 1,
                level: "debug"
            }
        );
    }
}
