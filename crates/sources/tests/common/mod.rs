//! What both kinds of source tests need: ports in the states a scan would tell apart.

/// A loopback port nothing listens on: connecting is refused at once.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A loopback port that drops connection attempts, as a filtered one does: a listener whose
/// accept queue is full, so the kernel ignores further handshakes. Keep the guard alive.
pub async fn filtered_port() -> (u16, Held) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let full = socket.listen(1).unwrap();
    let port = full.local_addr().unwrap().port();
    let mut held = Vec::new();
    for _ in 0..4 {
        let attempt = tokio::net::TcpStream::connect(("127.0.0.1", port));
        if let Ok(Ok(stream)) = tokio::time::timeout(std::time::Duration::from_millis(200), attempt).await {
            held.push(stream);
        }
    }
    (port, Held { _listener: full, _connections: held })
}

/// The full listener and the connections that fill its queue.
pub struct Held {
    _listener: tokio::net::TcpListener,
    _connections: Vec<tokio::net::TcpStream>,
}
