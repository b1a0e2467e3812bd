//! What the CLI asks of the operating system: memory, cores and free disk space.

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_memory_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|k| k * 1024)
}

/// Memory available for a new run in bytes (Linux `MemAvailable`), if known.
pub fn available_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    field_kib(&text, "MemAvailable:").map(|k| k * 1024)
}

fn status_kib(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    field_kib(&text, key)
}

fn field_kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
}

/// Bytes free for an unprivileged writer on the file system that holds
/// `path`, or that would hold it: the nearest existing ancestor is asked
/// when `path` does not exist yet. `None` when it cannot be known.
pub fn free_disk_bytes(path: &std::path::Path) -> Option<u64> {
    let mut at = path;
    while !at.exists() {
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => {
                at = std::path::Path::new(".");
                break;
            }
        }
    }
    free_bytes_at(at)
}

#[cfg(unix)]
fn free_bytes_at(at: &std::path::Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(at).ok()?;
    if st.blocks() == 0 || st.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY) {
        // A pseudo file system (/proc, /sys) or a read-only one: writing
        // there fails for another reason than space, reported when tried.
        return None;
    }
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    Some(u64::from(st.blocks_available()).saturating_mul(u64::from(st.fragment_size())))
}

#[cfg(not(unix))]
fn free_bytes_at(_at: &std::path::Path) -> Option<u64> {
    None
}

/// Cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Bytes in human units, e.g. `1.5 GiB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_fields() {
        let text = "MemTotal:       24000000 kB\nMemAvailable:   12000000 kB\n";
        assert_eq!(field_kib(text, "MemAvailable:"), Some(12_000_000));
        assert_eq!(field_kib(text, "Nope:"), None);
    }

    #[test]
    fn free_space_of_a_path_not_yet_created() {
        let dir = std::env::temp_dir();
        let here = free_disk_bytes(&dir);
        if cfg!(unix) {
            assert!(here.is_some_and(|b| b > 0));
            assert!(free_disk_bytes(&dir.join("no/such/folder/yet")).is_some());
            assert!(free_disk_bytes(std::path::Path::new("relative/run")).is_some());
        }
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
