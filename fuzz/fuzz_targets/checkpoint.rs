//! The checkpoint reader on arbitrary bytes, restored against the scenario
//! its header names. Each input is tried twice: as it is, and with its
//! trailer's checksum recomputed, so that mutations reach the checks behind
//! the checksum. None may panic or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorelab_engine::checkpoint::{checksum, CheckpointReader};

fn restore(bytes: &[u8]) {
    let Ok(reader) = CheckpointReader::new(bytes) else { return };
    // Large sizes are refused by `scorelab run --resume`'s memory check
    // before the state is read; rebuilding their layout would only time out.
    if reader.header().config.citizens > 100_000 {
        return;
    }
    let Ok(scenario) = scorelab_scenario::parse_str(&reader.header().scenario_toml, "checkpoint") else { return };
    let _ = reader.restore(&scenario);
}

fuzz_target!(|data: &[u8]| {
    restore(data);
    if data.len() >= 16 {
        let mut fixed = data.to_vec();
        let body = fixed.len() - 16;
        let sum = checksum(&fixed[..body]);
        fixed[body..body + 8].copy_from_slice(&sum.to_le_bytes());
        restore(&fixed);
    }
});
