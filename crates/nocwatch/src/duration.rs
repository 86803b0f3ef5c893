//! Durations on the command line: the one syntax of `nocwatch_model::duration`
//! (`500ms`, `10s`, `2m`; a bare number other than 0 is refused), adapted to
//! clap's `value_parser`.

use std::time::Duration;

/// clap value parser for duration flags.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    nocwatch_model::duration::parse_duration(s).map_err(|e| e.to_string())
}
