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
    let found = args.iter().enumerate().find_map(|(i, arg)| {
        let arg = arg.to_str()?;
        let sub = built
            .get_subcommands()
            .find(|s| s.get_name() == arg || s.get_all_aliases().any(|a| a == arg))?;
        Some((i, sub, (sub.get_name() != arg).then(|| arg.to_string())))
    });
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
    }
}
