//! Help and usage that name a command as it was invoked: `connector access ssh --help` says
//! `Usage: connector access ssh`, not the canonical `tcp`. clap always prints a subcommand's own
//! name, so the command line is first checked against a copy of the command tree in which each
//! subcommand reached through an alias shows that alias in its usage; help, version and errors
//! are printed from that copy, and a command line that parses is parsed again with the real tree.

use std::ffi::OsString;

use clap::{Command, Parser};

/// `T` from the process's arguments, with help and errors naming the aliases used.
pub fn parse<T: Parser>() -> T {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Err(e) =
        named_as_invoked(T::command(), &args[1.min(args.len())..]).try_get_matches_from(&args)
    {
        e.exit();
    }
    T::parse_from(args)
}

/// `command` with each subcommand reached through an alias in `args` shown under that alias:
/// its usage and binary name say the alias. (Renaming it would make clap see the alias twice,
/// and clap has no way to drop an alias.)
pub fn named_as_invoked(command: Command, args: &[OsString]) -> Command {
    let mut built = command.clone();
    built.build();
    shown_as_invoked(command, &built, args)
}

/// [`named_as_invoked`] below `command`, whose built copy (names and usage filled in) is `built`.
fn shown_as_invoked(command: Command, built: &Command, args: &[OsString]) -> Command {
    let mut found = None;
    let mut i = 0;
    while i < args.len() && found.is_none() {
        let arg = args[i].to_str().unwrap_or_default();
        if takes_value(built, arg) {
            // `--config ssh`: a flag's value is not a command.
            i += 1;
        } else if let Some(sub) = built
            .get_subcommands()
            .find(|s| s.get_name() == arg || s.get_all_aliases().any(|a| a == arg))
        {
            found = Some((i, sub, (sub.get_name() != arg).then(|| arg.to_string())));
        }
        i += 1;
    }
    let Some((i, built_sub, alias)) = found else {
        return command;
    };
    let rest = &args[i + 1..];
    command.mut_subcommand(built_sub.get_name(), |sub| {
        let sub = match alias {
            Some(alias) => {
                let canonical = built_sub.get_bin_name().unwrap_or(built_sub.get_name());
                let invoked = match canonical.rsplit_once(' ') {
                    Some((parent, _)) => format!("{parent} {alias}"),
                    None => alias,
                };
                let usage = built_sub.clone().render_usage().to_string();
                let usage = usage
                    .trim_start_matches("Usage: ")
                    .replacen(canonical, &invoked, 1);
                sub.override_usage(usage).bin_name(invoked)
            }
            None => sub,
        };
        shown_as_invoked(sub, built_sub, rest)
    })
}

/// Whether `arg` is an option of `command` whose value is the next argument (`--config FILE`,
/// `-T HOST`; not `--config=FILE`).
fn takes_value(command: &Command, arg: &str) -> bool {
    let option = if let Some(long) = arg.strip_prefix("--") {
        command.get_arguments().find(|a| {
            !long.contains('=')
                && a.get_long_and_visible_aliases()
                    .is_some_and(|l| l.contains(&long))
        })
    } else if let Some(short) = arg.strip_prefix('-').filter(|s| s.chars().count() == 1) {
        let short = short.chars().next();
        command.get_arguments().find(|a| a.get_short() == short)
    } else {
        None
    };
    option.is_some_and(|a| a.get_action().takes_values())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn help(args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let command = named_as_invoked(crate::cli::Cli::command(), &args[1..]);
        match command.try_get_matches_from(&args) {
            Err(e) => e.render().to_string(),
            Ok(_) => panic!("{args:?} printed no help"),
        }
    }

    #[test]
    fn every_alias_names_itself_in_help_and_errors() {
        for alias in ["ssh", "rdp", "smb", "tcp"] {
            let text = help(&["connector", "access", alias, "--help"]);
            assert!(
                text.contains(&format!("Usage: connector access {alias} ")),
                "{alias}: {text}"
            );
            let text = help(&["connector", "access", alias, "--no-such-flag"]);
            assert!(
                text.contains(&format!("Usage: connector access {alias} ")),
                "{alias}: {text}"
            );
        }
        let text = help(&["connector", "--config", "x.yml", "tunnel", "run", "--help"]);
        assert!(text.contains("Usage: connector tunnel run"), "{text}");
        // A flag's value that reads like an alias is not one.
        let text = help(&["connector", "access", "--config", "ssh", "tcp", "--help"]);
        assert!(text.contains("Usage: connector access tcp "), "{text}");
    }
}
