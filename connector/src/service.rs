//! `connector service install|uninstall`: the connector as a systemd service, as `cloudflared
//! service install [TOKEN]` sets one up. The unit runs `connector … tunnel run` with the absolute
//! paths of this binary and of tunnel.yml; a run token goes to a file only root can read (never
//! into the unit, which every user can read), and the unit points at it with `--token-file`.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use tether_proto::enroll::RunToken;

use crate::config::ConnectorConfig;

/// The unit's name.
pub const UNIT: &str = "tether-connector.service";

#[derive(clap::Subcommand, Debug)]
pub enum ServiceCommand {
    /// Write a systemd unit that runs this connector with tunnel.yml (or a run token), then
    /// enable and start it.
    Install(Install),
    /// Stop and disable the unit, then remove it and the token file.
    Uninstall(Placement),
    /// Print the unit `install` writes, running BINARY with --config: for packages.
    #[command(hide = true)]
    Unit {
        #[arg(long, value_name = "BINARY", default_value = "/usr/bin/connector")]
        binary: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
pub struct Install {
    /// A run token (`connector token`, `edge tunnel token`): stored in --token-file (mode 0600)
    /// and used instead of tunnel.yml's credentials file. tunnel.yml still gives the ingress
    /// rules, unless --url does.
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,
    /// The same as TOKEN.
    #[arg(long = "token", value_name = "TOKEN", conflicts_with = "token")]
    pub token_flag: Option<String>,
    /// With a token: every request goes to this origin (no tunnel.yml needed).
    #[arg(long)]
    pub url: Option<String>,
    #[command(flatten)]
    pub placement: Placement,
}

#[derive(clap::Args, Debug)]
pub struct Placement {
    /// Where the unit is written.
    #[arg(long, value_name = "DIR", default_value = "/etc/systemd/system")]
    pub unit_dir: PathBuf,
    /// Where a run token is kept.
    #[arg(long, value_name = "FILE", default_value = "/etc/tether/token")]
    pub token_file: PathBuf,
    /// Only write (or remove) the files; do not run systemctl.
    #[arg(long)]
    pub no_enable: bool,
}

pub fn command(command: ServiceCommand, config: &Path) -> anyhow::Result<()> {
    match command {
        ServiceCommand::Install(install) => {
            let unit = install_unit(&install, config)?;
            println!("Wrote {}", unit.display());
            if install.placement.no_enable {
                println!("Next: systemctl daemon-reload && systemctl enable --now {UNIT}");
                return Ok(());
            }
            systemctl(&["daemon-reload"])?;
            systemctl(&["enable", "--now", UNIT])?;
            println!("Enabled and started {UNIT}; follow it with `journalctl -u {UNIT} -f`");
            Ok(())
        }
        ServiceCommand::Unit { binary } => {
            let exec = [binary.as_path(), Path::new("--config"), config]
                .map(|p| quote(&p.display().to_string()))
                .join(" ");
            let exec = format!("{exec} tunnel run");
            print!("{}", unit_text(&exec, 40));
            Ok(())
        }
        ServiceCommand::Uninstall(placement) => {
            if !placement.no_enable {
                // A unit that was never started is fine to remove: the error is not fatal.
                if let Err(e) = systemctl(&["disable", "--now", UNIT]) {
                    eprintln!("warning: {e:#}");
                }
            }
            let unit = placement.unit_dir.join(UNIT);
            for file in [&unit, &placement.token_file] {
                match std::fs::remove_file(file) {
                    Ok(()) => println!("Removed {}", file.display()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => anyhow::bail!("cannot remove {}: {e}", file.display()),
                }
            }
            if !placement.no_enable {
                systemctl(&["daemon-reload"])?;
            }
            Ok(())
        }
    }
}

/// Checks what the unit will run, writes the token file if any, then the unit.
fn install_unit(install: &Install, config: &Path) -> anyhow::Result<PathBuf> {
    let unit_path = install.placement.unit_dir.join(UNIT);
    if unit_path.exists() {
        anyhow::bail!(
            "{} already exists; remove it first with `connector service uninstall`",
            unit_path.display()
        );
    }
    let exe = std::env::current_exe()?;
    let mut args: Vec<String> = vec![exe.display().to_string()];
    let token = install.token.as_ref().or(install.token_flag.as_ref());
    // The grace period decides how long systemd waits for a drain.
    let mut grace = std::time::Duration::from_secs(30);
    match (&install.url, token) {
        (Some(_), None) => anyhow::bail!("--url needs a run token (TOKEN or --token)"),
        (Some(url), Some(_)) => {
            ConnectorConfig::from_url(url).map_err(|e| anyhow::anyhow!("--url: {e}"))?;
        }
        (None, _) => {
            let config = std::path::absolute(config)?;
            refuse_private_tmp(&config, "--config")?;
            let loaded = ConnectorConfig::load(&config).map_err(|e| {
                let with_token = match token {
                    Some(_) => {
                        ", or give the origin with --url (a run token carries no ingress rules)"
                    }
                    None => "",
                };
                anyhow::anyhow!(
                    "{e}\n(the service runs with this file: fix it, or give --config{with_token})"
                )
            })?;
            if let Some(credentials) = &loaded.credentials_file {
                refuse_private_tmp(credentials, "its credentials-file")?;
            }
            if let Some(log) = &loaded.log.file {
                refuse_private_tmp(log, "its log file")?;
            }
            if token.is_none() && loaded.credentials_file.is_none() {
                anyhow::bail!("{}: credentials-file is missing: add it, or install with a run token (`connector service install TOKEN`)", config.display());
            }
            grace = loaded.grace_period;
            args.extend(["--config".into(), config.display().to_string()]);
        }
    }
    args.extend(["tunnel".into(), "run".into()]);
    if let Some(token) = token {
        RunToken::decode(token).map_err(|e| anyhow::anyhow!("the run token: {e}"))?;
        refuse_private_tmp(&install.placement.token_file, "--token-file")?;
        write_secret(&install.placement.token_file, token)?;
        let file = std::path::absolute(&install.placement.token_file)?;
        args.extend(["--token-file".into(), file.display().to_string()]);
    }
    if let Some(url) = &install.url {
        args.extend(["--url".into(), url.clone()]);
    }
    let exec: Vec<String> = args.iter().map(|a| quote(a)).collect();
    let unit = unit_text(&exec.join(" "), grace.as_secs() + 10);
    std::fs::create_dir_all(&install.placement.unit_dir)?;
    std::fs::write(&unit_path, unit)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", unit_path.display()))?;
    std::fs::set_permissions(&unit_path, std::fs::Permissions::from_mode(0o644))?;
    Ok(unit_path)
}

/// The unit runs with a private /tmp (`PrivateTmp=yes`): a file the service needs there would be
/// missing when it starts, so install refuses it now.
fn refuse_private_tmp(path: &Path, what: &str) -> anyhow::Result<()> {
    let real = std::fs::canonicalize(path).or_else(|_| std::path::absolute(path))?;
    if [Path::new("/tmp"), Path::new("/var/tmp")]
        .iter()
        .any(|t| real.starts_with(t))
    {
        anyhow::bail!("{what} {}: the service runs with a private /tmp (PrivateTmp=yes) and would not see it; move it, e.g. to /etc/tether/", path.display());
    }
    Ok(())
}

fn unit_text(exec_start: &str, stop_timeout: u64) -> String {
    format!(
        "[Unit]
Description=Tether connector: outbound tunnel sessions to the edge
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={exec_start}
ExecReload=/bin/kill -HUP $MAINPID
# SIGTERM drains (grace-period); then a little more before SIGKILL.
KillSignal=SIGTERM
TimeoutStopSec={stop_timeout}
Restart=on-failure
RestartSec=5s
# 64: tunnel.yml is invalid; 77: the edge refused the tunnel for good (deleted, wrong key).
RestartPreventExitStatus=64 77
NoNewPrivileges=yes
ProtectSystem=true
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
"
    )
}

/// One ExecStart word: `%` and `$` doubled (systemd's specifiers and variables), quoted when it
/// holds spaces or quotes.
fn quote(arg: &str) -> String {
    let arg = arg.replace('%', "%%").replace('$', "$$");
    if arg
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\')
    {
        format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        arg
    }
}

/// Writes `secret` readable by its owner only, the directory created if need be.
fn write_secret(path: &Path, secret: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Made anew (never through a symlink someone left there), readable by its owner only.
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            anyhow::bail!("cannot replace {}: {e}", path.display())
        }
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    file.write_all(format!("{secret}\n").as_bytes())?;
    println!("Wrote the run token to {} (mode 0600)", path.display());
    Ok(())
}

fn systemctl(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("systemctl").args(args).output().map_err(|e| {
        anyhow::anyhow!(
            "cannot run systemctl: {e} (is this a systemd host? --no-enable writes the files only)"
        )
    })?;
    if !out.status.success() {
        anyhow::bail!(
            "systemctl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn exec_words_are_quoted_for_systemd() {
        assert_eq!(super::quote("/usr/bin/connector"), "/usr/bin/connector");
        assert_eq!(super::quote("/srv/my tunnel.yml"), "\"/srv/my tunnel.yml\"");
        assert_eq!(super::quote("/srv/50%.yml"), "/srv/50%%.yml");
        assert_eq!(super::quote("/srv/$HOME.yml"), "/srv/$$HOME.yml");
    }
}
