//! What packages install beside a binary, made from its own command line so they never drift:
//! shell completions (`edge completions bash`, clap_complete) and man pages, one per command and
//! subcommand (`edge.1`, `edge-tunnel-create.1`, clap_mangen), written by the hidden
//! `manpages DIR` command that `scripts/package/build.sh` runs.

use std::path::Path;

use clap_complete::Shell;

/// Writes `command`'s completion script for `shell` to stdout.
pub fn completions(mut command: clap::Command, shell: Shell) {
    let name = command.get_name().to_string();
    clap_complete::generate(shell, &mut command, name, &mut std::io::stdout());
}

/// Writes the man pages of `command` and every subcommand into `dir`.
pub fn manpages(command: clap::Command, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command, dir)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser, Subcommand};

    #[derive(Parser)]
    #[command(name = "tool", version, about = "A tool")]
    struct Tool {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Subcommand)]
    enum Sub {
        /// Runs it.
        Run,
    }

    #[test]
    fn a_page_per_command_and_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        super::manpages(Tool::command(), dir.path()).unwrap();
        let page = std::fs::read_to_string(dir.path().join("tool-run.1")).unwrap();
        assert!(page.contains("Runs it"), "{page}");
        assert!(dir.path().join("tool.1").is_file());
    }
}
