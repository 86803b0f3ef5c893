//! The rig's ceiling: an HTTP/1.1 server that does no work at all (a fixed
//! 200 answer per request, found by its blank line), on the same sharded
//! tokio layout as the API. What wrk reaches against it on a machine is the
//! most any server can reach there with wrk on the same cores.
//!
//! `cargo run --release -p nocwatch-api --example null_http -- 127.0.0.1:9300 2`

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};

const ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:9300").parse()?;
    let threads: usize = args.next().as_deref().unwrap_or("2").parse()?;
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || -> std::io::Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let s = TcpSocket::new_v4()?;
                    s.set_reuseport(true)?;
                    s.bind(addr)?;
                    let l: TcpListener = s.listen(1024)?;
                    loop {
                        let (mut c, _) = l.accept().await?;
                        c.set_nodelay(true)?;
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 8192];
                            let mut have = 0;
                            let mut out = Vec::new();
                            loop {
                                let Ok(n) = c.read(&mut buf[have..]).await else {
                                    return;
                                };
                                if n == 0 {
                                    return;
                                }
                                have += n;
                                let mut start = 0;
                                while let Some(p) =
                                    buf[start..have].windows(4).position(|w| w == b"\r\n\r\n")
                                {
                                    out.extend_from_slice(ANSWER);
                                    start += p + 4;
                                }
                                buf.copy_within(start..have, 0);
                                have -= start;
                                if c.write_all(&out).await.is_err() {
                                    return;
                                }
                                out.clear();
                            }
                        });
                    }
                })
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "thread panicked")??;
    }
    Ok(())
}
