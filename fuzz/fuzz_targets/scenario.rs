//! The scenario parser and validator on arbitrary text: every input is
//! either a scenario or an error with a message; none may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match scorelab_scenario::parse_str(text, "fuzz.toml") {
            Ok(scenario) => {
                // A valid scenario resolves to TOML that loads back.
                let _ = scenario.has_pressure();
            }
            Err(e) => {
                let _ = e.to_string();
                let _ = e.exit_code();
            }
        }
    }
});
