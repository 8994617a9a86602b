//! Files a config names (credentials, CA bundles, JWKS, htpasswd, policy files): read whole, but
//! never more than [`LIMIT`], so a config that names the wrong file (a disk image, `/dev/zero`)
//! gets a clear error instead of filling the memory or never returning.

use std::io::{self, Read};
use std::path::Path;

/// The largest file a config may name: far above any certificate bundle or key set.
pub const LIMIT: u64 = 16 << 20;

/// The file's bytes, or an error when it is larger than [`LIMIT`].
pub fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(LIMIT + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > LIMIT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {} MiB: is it the right file?", LIMIT >> 20),
        ));
    }
    Ok(bytes)
}

/// [`read`], as UTF-8 text.
pub fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_endless_file_is_refused_not_read_forever() {
        let e = super::read("/dev/zero").unwrap_err();
        assert!(e.to_string().contains("larger than 16 MiB"), "{e}");
    }
}
