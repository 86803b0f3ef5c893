//! Serves a lab device until Ctrl-C, for poking at it with net-snmp by hand:
//!
//! ```text
//! cargo run -p nocwatch-sim --example lab_agent -- 127.0.0.1:16161 10
//! MIBS="" snmpbulkwalk -v2c -c public -On 127.0.0.1:16161 .1
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use nocwatch_sim::{AgentServer, lab_device};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .as_deref()
        .unwrap_or("127.0.0.1:16161")
        .parse()?;
    let interfaces: u32 = args.next().as_deref().unwrap_or("10").parse()?;
    let agent = Arc::new(lab_device("lab-r1", interfaces));
    let server = AgentServer::spawn(agent, addr).await?;
    println!(
        "lab-r1 ({interfaces} interfaces) on {}; Ctrl-C stops",
        server.local_addr()
    );
    tokio::signal::ctrl_c().await?;
    let stats = server.stop().await?;
    println!("{stats:#?}");
    Ok(())
}
