//! CPU time of named threads, for benchmarks that run a server and its load generator in one process
//! and report each one's CPU per call.

/// CPU seconds used so far by this process's threads whose name starts with `prefix`.
pub fn thread_cpu_seconds(prefix: &str) -> f64 {
    let ticks = clock_ticks();
    let mut total = 0u64;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !name.trim().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // Fields after the parenthesised command: state is field 3; utime and stime are 14 and 15.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
        let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        total += utime + stime;
    }
    total as f64 / ticks
}

/// Clock ticks per second (AT_CLKTCK from the auxiliary vector; 100 when unreadable).
fn clock_ticks() -> f64 {
    const AT_CLKTCK: u64 = 17;
    let Ok(bytes) = std::fs::read("/proc/self/auxv") else {
        return 100.0;
    };
    for pair in bytes.chunks_exact(16) {
        let key = u64::from_le_bytes(pair[..8].try_into().unwrap_or([0; 8]));
        let value = u64::from_le_bytes(pair[8..].try_into().unwrap_or([0; 8]));
        if key == AT_CLKTCK && value > 0 {
            return value as f64;
        }
    }
    100.0
}
