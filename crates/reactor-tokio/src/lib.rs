//! ferrobgp-reactor-tokio: the opt-in event loop over a current-thread tokio runtime (see
//! ../../../shared/DESIGN.md).
//!
//! It drives the same sans-IO `Speaker` as the default mio loop and must behave the same, so
//! it shares that crate's loop-independent code: the line splitter, the write queues and their
//! low-mark accounting, socket creation and options, the signal → input mapping, the control
//! socket and the order in which one iteration's inputs reach the core
//! ([`ferrobgp_reactor_mio::shared::Inputs`]).
//!
//! Shape: one main task owns the speaker. Small local tasks own the I/O of one thing each (a
//! connection's reads, its writes, a helper's stdout and exit, its stdin, a listener, a signal,
//! a control client) and report to the main task over one bounded channel, so a main task that
//! falls behind slows the readers (back-pressure) instead of growing a queue. Every iteration
//! of the main task is the mio loop's: wait for an event or the deadline, take every event that
//! is ready, hand the inputs to the core in the documented order, perform its outputs (bytes
//! are queued and the writer tasks woken; they `writev` once the main task yields).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::{mpsc, Notify};
use tokio::task::{spawn_local, AbortHandle, LocalSet};

use ferrobgp_core::{ConnId, Input, Output, ProcessId, Speaker};
use ferrobgp_reactor_mio::common::{self, Line, LineSplitter, WriteQueue, READ_BUDGET, READ_CHUNK};
use ferrobgp_reactor_mio::shared::{
    self, DriverTimer, DriverTimers, Inputs, CLOSE_GRACE, KILL_GRACE,
};
pub use ferrobgp_reactor_mio::{Handle, Options};

/// Events the I/O tasks report to the main task.
enum Ev {
    Input(Input),
    /// Every line one read of a helper or control client brought, delivered together so that
    /// they reach the core in the same iteration, before its `Tick` runs the peers (ExaBGP
    /// applies all the commands a read brought before its peers run: api-rib).
    Lines(Vec<Input>),
    Accepted {
        stream: TcpStream,
        local: SocketAddr,
        remote: SocketAddr,
    },
    Client(UnixStream),
    /// A control client is finished (answer written, or it went away).
    ClientGone(ProcessId),
    /// Turned into inputs by the main task (SIGUSR1 re-reads the configuration there).
    Signal(libc::c_int),
}

/// Events queued by the I/O tasks before the main task must catch up.
const CHANNEL: usize = 1024;

/// As in the mio loop: how long helpers get at exit after their stdin was closed.
const EXIT_GRACE: Duration = Duration::from_millis(500);

type Tx = mpsc::Sender<Ev>;

/// Run `speaker` until it says `Exit`; returns the exit code.
pub fn run(speaker: Speaker, opts: Options) -> io::Result<i32> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = LocalSet::new();
    local.block_on(&rt, async move {
        let (tx, rx) = mpsc::channel(CHANNEL);
        // Signals first, before any child is spawned: no early signal is lost.
        start_signal_tasks(&tx)?;
        common::undefer_signals()?;
        let wake = Arc::new(Notify::new());
        let w = wake.clone();
        opts.handle.set_waker(Box::new(move || w.notify_one()));
        let mut r = Reactor {
            speaker,
            tx,
            rx,
            wake,
            conns: HashMap::new(),
            procs: HashMap::new(),
            clients: HashMap::new(),
            control: None,
            listeners: Vec::new(),
            inputs: Inputs::default(),
            timers: DriverTimers::default(),
            opts,
            accepted: 0,
            control_clients: 0,
            exit: None,
        };
        r.open_control_socket();
        tracing::info!(reactor = "tokio", "event loop started");
        let code = r.run_loop().await;
        r.shutdown().await;
        Ok(code)
    })
}

fn start_signal_tasks(tx: &Tx) -> io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    for &signum in common::SIGNALS {
        if signum == libc::SIGCHLD {
            // tokio reaps children itself; each helper's task awaits its exit.
            continue;
        }
        let mut s = signal(SignalKind::from_raw(signum))?;
        let tx = tx.clone();
        spawn_local(async move {
            while s.recv().await.is_some() {
                if tx.send(Ev::Signal(signum)).await.is_err() {
                    return;
                }
            }
        });
    }
    Ok(())
}

struct ConnShared {
    conn: ConnId,
    wq: RefCell<WriteQueue>,
    wake_writer: Notify,
    wake_reader: Notify,
    paused: Cell<bool>,
    /// Bytes read and sent to the main task that it has not taken yet: the reader waits at
    /// [`READ_BUDGET`], as the mio loop reads at most that much a connection per iteration.
    /// Without it a fast peer's bytes (up to the channel's 1024 events of 64 KB) were all read
    /// ahead, past a `PauseReading`: receive 1M peaked at 84 MB under tokio, 59 MB under mio.
    unread: Cell<usize>,
    closing: Cell<bool>,
    connecting: Cell<bool>,
    gone: Cell<bool>,
    stream: RefCell<Option<Rc<TcpStream>>>,
    tasks: RefCell<Vec<AbortHandle>>,
}

impl ConnShared {
    fn new(conn: ConnId, connecting: bool) -> Rc<Self> {
        Rc::new(ConnShared {
            conn,
            wq: RefCell::new(WriteQueue::new()),
            wake_writer: Notify::new(),
            wake_reader: Notify::new(),
            paused: Cell::new(false),
            unread: Cell::new(0),
            closing: Cell::new(false),
            connecting: Cell::new(connecting),
            gone: Cell::new(false),
            stream: RefCell::new(None),
            tasks: RefCell::new(Vec::new()),
        })
    }

    /// The connection ended: report it once (the reader and the writer may both notice).
    async fn gone(&self, tx: &Tx, error: Option<String>) {
        if self.gone.replace(true) {
            return;
        }
        if let Some(s) = self.stream.borrow().as_ref() {
            let _ = socket2::SockRef::from(&**s).shutdown(std::net::Shutdown::Both);
        }
        let input = if self.connecting.get() && !self.closing.get() {
            Input::ConnectFailed {
                conn: self.conn,
                error: error.unwrap_or_else(|| "connection refused".into()),
            }
        } else {
            Input::Closed {
                conn: self.conn,
                error,
            }
        };
        let _ = tx.send(Ev::Input(input)).await;
    }

    fn abort(&self) {
        for t in self.tasks.borrow_mut().drain(..) {
            t.abort();
        }
    }
}

/// `Write` over a tokio socket without waiting: `WouldBlock` when the kernel is full, so the
/// mio loop's [`WriteQueue::flush_to`] runs unchanged.
struct TryWrite<'a>(&'a TcpStream);

impl Write for TryWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

async fn conn_reader(sh: Rc<ConnShared>, stream: Rc<TcpStream>, tx: Tx) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let fd = stream.as_raw_fd();
    loop {
        while sh.paused.get() || sh.closing.get() || sh.unread.get() >= READ_BUDGET {
            sh.wake_reader.notified().await;
            if sh.gone.get() {
                return;
            }
        }
        let res = async {
            loop {
                stream.readable().await?;
                match stream.try_io(Interest::READABLE, || {
                    common::read_fd_into(fd, &mut buf, READ_CHUNK)
                }) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    other => return other,
                }
            }
        }
        .await;
        match res {
            Ok(0) => return sh.gone(&tx, None).await,
            Ok(n) => {
                sh.unread.set(sh.unread.get() + n);
                let data = buf.split().freeze();
                let input = Input::Received {
                    conn: sh.conn,
                    data,
                };
                if tx.send(Ev::Input(input)).await.is_err() {
                    return;
                }
            }
            Err(e) => return sh.gone(&tx, Some(e.to_string())).await,
        }
    }
}

async fn conn_writer(sh: Rc<ConnShared>, stream: Rc<TcpStream>, tx: Tx) {
    loop {
        let res = sh.wq.borrow_mut().flush_to(&mut TryWrite(&stream));
        match res {
            Ok(f) => {
                if f.became_low && !sh.closing.get() {
                    let input = Input::SendBufferLow { conn: sh.conn };
                    if tx.send(Ev::Input(input)).await.is_err() {
                        return;
                    }
                }
                if f.blocked {
                    if let Err(e) = stream.writable().await {
                        return sh.gone(&tx, Some(e.to_string())).await;
                    }
                    continue;
                }
                if sh.closing.get() {
                    return sh.gone(&tx, None).await;
                }
                sh.wake_writer.notified().await;
                if sh.gone.get() {
                    return;
                }
            }
            Err(e) => return sh.gone(&tx, Some(e.to_string())).await,
        }
    }
}

/// Once a socket is connected (or accepted): start its reader and writer.
fn start_conn_tasks(sh: &Rc<ConnShared>, stream: TcpStream, tx: &Tx) {
    let stream = Rc::new(stream);
    *sh.stream.borrow_mut() = Some(stream.clone());
    let r = spawn_local(conn_reader(sh.clone(), stream.clone(), tx.clone()));
    let w = spawn_local(conn_writer(sh.clone(), stream, tx.clone()));
    let mut tasks = sh.tasks.borrow_mut();
    tasks.push(r.abort_handle());
    tasks.push(w.abort_handle());
}

async fn connect_task(sh: Rc<ConnShared>, sock: socket2::Socket, tx: Tx) {
    // SAFETY: the fd comes straight from a socket we own.
    let std_s = unsafe { std::net::TcpStream::from_raw_fd(sock.into_raw_fd()) };
    let stream = match TcpStream::from_std(std_s) {
        Ok(s) => s,
        Err(e) => return sh.gone(&tx, Some(e.to_string())).await,
    };
    // Completion is writability, then SO_ERROR, exactly as in the mio loop.
    let res = loop {
        if let Err(e) = stream.writable().await {
            break Err(e);
        }
        let r = stream.try_io(Interest::WRITABLE, || {
            if let Some(e) = stream.take_error()? {
                return Err(e);
            }
            match stream.peer_addr() {
                Ok(remote) => Ok((stream.local_addr()?, remote)),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            }
        });
        match r {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            other => break other,
        }
    };
    match res {
        Ok((local, remote)) => {
            sh.connecting.set(false);
            let input = Input::Connected {
                conn: sh.conn,
                local: common::canonical(local),
                remote: common::canonical(remote),
            };
            if tx.send(Ev::Input(input)).await.is_err() {
                return;
            }
            start_conn_tasks(&sh, stream, &tx);
        }
        Err(e) => sh.gone(&tx, Some(e.to_string())).await,
    }
}

struct ProcShared {
    id: ProcessId,
    name: String,
    pid: u32,
    wq: RefCell<WriteQueue>,
    wake_writer: Notify,
    wake_reader: Notify,
    paused: Cell<bool>,
    close_stdin: Cell<bool>,
    exited: Cell<bool>,
    tasks: RefCell<Vec<AbortHandle>>,
}

/// Reads a helper's stdout as lines and waits for its exit; what it wrote before exiting is
/// read first, so no command is lost.
async fn proc_task(
    sh: Rc<ProcShared>,
    mut child: tokio::process::Child,
    mut stdout: Option<tokio::process::ChildStdout>,
    tx: Tx,
) {
    let mut lines = LineSplitter::new();
    let mut status = None;
    loop {
        let reading = stdout.is_some() && !sh.paused.get();
        tokio::select! {
            // In an `async` block: select! evaluates every branch's expression, even one
            // whose precondition is false (no stdout after its end).
            r = async { read_available(stdout.as_mut().expect("reading"), lines.buffer()).await }, if reading => {
                let eof = !matches!(r, Ok(n) if n > 0);
                if let Err(e) = &r {
                    tracing::warn!(process = %sh.name, "reading: {e}");
                }
                if !send_lines(&sh, &mut lines, eof, &tx).await {
                    return;
                }
                if eof {
                    stdout = None;
                }
            }
            _ = sh.wake_reader.notified(), if stdout.is_some() && sh.paused.get() => {}
            st = child.wait(), if status.is_none() => {
                status = Some(st);
            }
        }
        if let Some(st) = &status {
            // Exited: take what is left in the pipe without waiting on grandchildren that may
            // hold it open.
            if let Some(out) = stdout.as_mut().filter(|_| !sh.paused.get()) {
                loop {
                    let r = tokio::time::timeout(
                        Duration::from_millis(50),
                        read_available(out, lines.buffer()),
                    )
                    .await;
                    match r {
                        Ok(Ok(n)) if n > 0 => continue,
                        _ => break,
                    }
                }
                if !send_lines(&sh, &mut lines, true, &tx).await {
                    return;
                }
            }
            let status = match st {
                Ok(s) => {
                    tracing::debug!(process = %sh.name, status = %s, "process exited");
                    shared::exit_code(*s)
                }
                Err(e) => {
                    tracing::warn!(process = %sh.name, "wait: {e}");
                    None
                }
            };
            sh.exited.set(true);
            let _ = tx
                .send(Ev::Input(Input::ProcessExited {
                    process: sh.id,
                    status,
                }))
                .await;
            return;
        }
    }
}

async fn send_lines(sh: &ProcShared, lines: &mut LineSplitter, eof: bool, tx: &Tx) -> bool {
    let mut out = Vec::new();
    while let Some(l) = lines.next_line() {
        out.push(l);
    }
    if eof {
        out.extend(lines.finish());
    }
    let mut inputs = Vec::new();
    for l in out {
        match l {
            Line::Text(line) => inputs.push(Input::ProcessLine {
                process: sh.id,
                line,
            }),
            Line::TooLong => tracing::error!(
                process = %sh.name,
                "line longer than {} bytes dropped",
                common::MAX_LINE
            ),
        }
    }
    inputs.is_empty() || tx.send(Ev::Lines(inputs)).await.is_ok()
}

/// Wait until a pipe or stream has something, then take what it holds, as the mio loop does in
/// one iteration: up to [`READ_CHUNK`] a read into reserved space, up to [`READ_BUDGET`] in all,
/// never waiting once something was read. `Ok(0)` only at end of stream with nothing read.
///
/// A bare `read_buf` into a `LineSplitter`'s buffer reads into whatever spare capacity is left
/// (`BytesMut` grows it 64 bytes at a time): a helper writing 1M `announce route` lines was read
/// ~100 bytes at a time, each read one event and one iteration of the main task with its
/// `Tick` (50,001 reads for 100K lines where mio made 75 of 64 KB).
async fn read_available<R: tokio::io::AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut BytesMut,
) -> io::Result<usize> {
    fn reserve(buf: &mut BytesMut) {
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
    }
    reserve(buf);
    let mut total = r.read_buf(buf).await?;
    if total == 0 {
        return Ok(0);
    }
    while total < READ_BUDGET {
        reserve(buf);
        // One poll: more if it is already there, else done (a `Pending` read took nothing).
        let mut more = std::pin::pin!(r.read_buf(buf));
        let polled = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::future::Future::poll(more.as_mut(), cx))
        });
        match polled.await {
            std::task::Poll::Ready(Ok(n)) if n > 0 => total += n,
            // End of stream or an error: the next call reports it.
            std::task::Poll::Ready(_) | std::task::Poll::Pending => break,
        }
    }
    Ok(total)
}

async fn stderr_task(name: String, mut err: tokio::process::ChildStderr) {
    let mut lines = LineSplitter::new();
    loop {
        let eof = !matches!(read_available(&mut err, lines.buffer()).await, Ok(n) if n > 0);
        while let Some(l) = lines.next_line() {
            if let Line::Text(l) = l {
                tracing::warn!(process = %name, "{l}");
            }
        }
        if eof {
            if let Some(Line::Text(l)) = lines.finish() {
                tracing::warn!(process = %name, "{l}");
            }
            return;
        }
    }
}

/// Writes a queue to an async writer (a helper's stdin, a control client): one `writev` at a
/// time, reporting `on_low` after each write that leaves the queue at or below the low mark.
async fn queue_writer<W: tokio::io::AsyncWrite + Unpin>(
    mut w: W,
    wq: &RefCell<WriteQueue>,
    wake: &Notify,
    close_when_flushed: &Cell<bool>,
    mut on_low: impl FnMut() -> Option<Input>,
    tx: &Tx,
) -> io::Result<()> {
    loop {
        let chunks = wq.borrow().front_chunks(64);
        if chunks.is_empty() {
            if close_when_flushed.get() {
                let _ = w.shutdown().await;
                return Ok(());
            }
            wake.notified().await;
            continue;
        }
        let slices: Vec<io::IoSlice<'_>> = chunks.iter().map(|c| io::IoSlice::new(c)).collect();
        let n = w.write_vectored(&slices).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let low = {
            let mut q = wq.borrow_mut();
            q.consume(n);
            q.is_low()
        };
        if low {
            if let Some(input) = on_low() {
                if tx.send(Ev::Input(input)).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
}

struct Client {
    wq: RefCell<WriteQueue>,
    wake: Notify,
    read_closed: Cell<bool>,
    tasks: RefCell<Vec<AbortHandle>>,
}

struct Reactor {
    speaker: Speaker,
    tx: Tx,
    rx: mpsc::Receiver<Ev>,
    wake: Arc<Notify>,
    conns: HashMap<ConnId, Rc<ConnShared>>,
    procs: HashMap<ProcessId, Rc<ProcShared>>,
    clients: HashMap<ProcessId, Rc<Client>>,
    control: Option<(AbortHandle, PathBuf)>,
    listeners: Vec<AbortHandle>,
    inputs: Inputs,
    timers: DriverTimers,
    opts: Options,
    accepted: u64,
    control_clients: u32,
    exit: Option<i32>,
}

impl Reactor {
    fn open_control_socket(&mut self) {
        let Some(path) = self.opts.control_socket.clone() else {
            return;
        };
        let listener = shared::bind_control_socket(&path).and_then(UnixListener::from_std);
        match listener {
            Ok(l) => {
                tracing::info!(path = %path.display(), "control socket listening");
                let tx = self.tx.clone();
                let task = spawn_local(async move {
                    loop {
                        match l.accept().await {
                            Ok((s, _)) => {
                                if tx.send(Ev::Client(s)).await.is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                tracing::warn!("control socket accept: {e}");
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                });
                self.control = Some((task.abort_handle(), path));
            }
            Err(e) => tracing::warn!(path = %path.display(), "control socket disabled: {e}"),
        }
    }

    async fn run_loop(&mut self) -> i32 {
        // The core may have work before any event (Listen, Connect, Spawn), and performing it
        // may already produce inputs (ProcessStarted, a ConnectFailed).
        self.drain_outputs();
        self.feed(Instant::now());
        loop {
            if let Some(code) = self.exit {
                return code;
            }
            let deadline = shared::earliest(self.speaker.next_deadline(), self.timers.next());
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = self.wake.notified() => {
                    for s in self.opts.handle.take() {
                        self.on_signal(s);
                    }
                }
                ev = self.rx.recv() => {
                    if let Some(ev) = ev {
                        self.on_event(ev);
                    }
                }
                _ = sleep => {}
            }
            // Everything else that is ready joins this iteration (bounded, like a poll's
            // event list).
            for _ in 0..CHANNEL {
                match self.rx.try_recv() {
                    Ok(ev) => self.on_event(ev),
                    Err(_) => break,
                }
            }
            let now = Instant::now();
            for t in self.timers.take_due(now) {
                self.on_driver_timer(t);
            }
            self.feed(now);
        }
    }

    fn feed(&mut self, now: Instant) {
        while let Some(i) = self.inputs.pop_next() {
            self.speaker.handle(now, i);
            self.drain_outputs();
        }
        if self.speaker.next_deadline().is_some_and(|d| d <= now) {
            self.speaker.handle(now, Input::Tick);
            self.drain_outputs();
        }
    }

    fn on_signal(&mut self, signum: i32) {
        for i in shared::signal_inputs(signum, &mut self.opts.reload) {
            self.inputs.push(i);
        }
    }

    fn on_event(&mut self, ev: Ev) {
        match ev {
            Ev::Signal(s) => self.on_signal(s),
            Ev::Lines(lines) => {
                for input in lines {
                    self.inputs.push(input);
                }
            }
            Ev::Input(input) => {
                match &input {
                    Input::Received { conn, data } => {
                        if let Some(sh) = self.conns.get(conn) {
                            let before = sh.unread.get();
                            sh.unread.set(before.saturating_sub(data.len()));
                            if before >= READ_BUDGET && sh.unread.get() < READ_BUDGET {
                                sh.wake_reader.notify_one();
                            }
                        }
                    }
                    Input::Closed { conn, .. } | Input::ConnectFailed { conn, .. } => {
                        if let Some(sh) = self.conns.remove(conn) {
                            sh.abort();
                        }
                    }
                    Input::ProcessExited { process, .. } => {
                        if let Some(sh) = self.procs.remove(process) {
                            sh.abort_tasks();
                        }
                    }
                    _ => {}
                }
                self.inputs.push(input);
            }
            Ev::Accepted {
                stream,
                local,
                remote,
            } => {
                let _ = stream.set_nodelay(true);
                self.accepted += 1;
                let conn = ConnId::accepted(self.accepted);
                tracing::debug!(%remote, %local, ?conn, "accepted");
                let sh = ConnShared::new(conn, false);
                start_conn_tasks(&sh, stream, &self.tx);
                self.conns.insert(conn, sh);
                self.inputs.push(Input::Accepted {
                    conn,
                    local,
                    remote,
                });
            }
            Ev::Client(stream) => self.start_client(stream),
            Ev::ClientGone(id) => {
                if let Some(c) = self.clients.remove(&id) {
                    for t in c.tasks.borrow_mut().drain(..) {
                        t.abort();
                    }
                    self.inputs.push(Input::ProcessExited {
                        process: id,
                        status: None,
                    });
                }
            }
        }
    }

    fn start_client(&mut self, stream: UnixStream) {
        let id = shared::control_client_id(self.control_clients);
        self.control_clients = self.control_clients.wrapping_add(1);
        let c = Rc::new(Client {
            wq: RefCell::new(WriteQueue::new()),
            wake: Notify::new(),
            read_closed: Cell::new(false),
            tasks: RefCell::new(Vec::new()),
        });
        let (mut rd, wr) = stream.into_split();
        let tx = self.tx.clone();
        let cr = c.clone();
        let reader = spawn_local(async move {
            let mut lines = LineSplitter::new();
            loop {
                let eof = !matches!(read_available(&mut rd, lines.buffer()).await, Ok(n) if n > 0);
                let mut out = Vec::new();
                while let Some(l) = lines.next_line() {
                    out.push(l);
                }
                if eof {
                    out.extend(lines.finish());
                }
                let inputs: Vec<Input> = out
                    .into_iter()
                    .filter_map(|l| match l {
                        Line::Text(line) => Some(Input::ProcessLine { process: id, line }),
                        Line::TooLong => None,
                    })
                    .collect();
                if !inputs.is_empty() && tx.send(Ev::Lines(inputs)).await.is_err() {
                    return;
                }
                if eof {
                    // The client closed its side: the writer ends once the answer is out.
                    cr.read_closed.set(true);
                    cr.wake.notify_one();
                    return;
                }
            }
        });
        let tx = self.tx.clone();
        let cw = c.clone();
        let writer = spawn_local(async move {
            let _ = queue_writer(wr, &cw.wq, &cw.wake, &cw.read_closed, || None, &tx).await;
            let _ = tx.send(Ev::ClientGone(id)).await;
        });
        c.tasks.borrow_mut().push(reader.abort_handle());
        c.tasks.borrow_mut().push(writer.abort_handle());
        self.clients.insert(id, c);
        // As in the mio loop: the core sees the client as an API process (pid 0) until
        // `ProcessExited`.
        self.inputs.push(Input::ProcessStarted {
            process: id,
            pid: 0,
        });
    }

    fn on_driver_timer(&mut self, t: DriverTimer) {
        match t {
            DriverTimer::Kill(id) => {
                if let Some(p) = self.procs.get(&id) {
                    if !p.exited.get() {
                        tracing::warn!(process = %p.name, pid = p.pid, "killing process");
                        let _ = common::signal_pid(p.pid, libc::SIGKILL);
                    }
                }
            }
            DriverTimer::ForceClose(id) => {
                if let Some(sh) = self.conns.get(&id).filter(|c| c.closing.get()).cloned() {
                    self.conns.remove(&id);
                    self.lose_conn_now(&sh, Some("peer did not read the last bytes".into()));
                }
            }
        }
    }

    /// The main task ends a connection itself (not through its tasks).
    fn lose_conn_now(&mut self, sh: &ConnShared, error: Option<String>) {
        if sh.gone.replace(true) {
            return;
        }
        sh.abort();
        if let Some(s) = sh.stream.borrow_mut().take() {
            let _ = socket2::SockRef::from(&*s).shutdown(std::net::Shutdown::Both);
        }
        self.inputs.push(Input::Closed {
            conn: sh.conn,
            error,
        });
    }

    fn drain_outputs(&mut self) {
        while let Some(out) = self.speaker.poll_output() {
            self.perform(out);
        }
    }

    fn perform(&mut self, out: Output) {
        match out {
            Output::Listen { addr, peers } => self.listen(addr, peers),
            Output::Connect {
                conn,
                remote,
                local,
                md5,
                ttl,
            } => {
                let local = local.map(|ip| SocketAddr::new(ip, 0));
                let res =
                    common::outgoing_socket(remote, local, md5.as_deref().map(str::as_bytes), ttl)
                        .and_then(|s| {
                            common::start_connect(&s, remote)?;
                            Ok(s)
                        });
                match res {
                    Ok(sock) => {
                        tracing::debug!(%remote, ?conn, "connecting");
                        let sh = ConnShared::new(conn, true);
                        let t = spawn_local(connect_task(sh.clone(), sock, self.tx.clone()));
                        sh.tasks.borrow_mut().push(t.abort_handle());
                        self.conns.insert(conn, sh);
                    }
                    Err(e) => {
                        tracing::debug!(%remote, ?conn, "connect: {e}");
                        self.inputs.push(Input::ConnectFailed {
                            conn,
                            error: e.to_string(),
                        });
                    }
                }
            }
            Output::Send { conn, data } => {
                if let Some(sh) = self.conns.get(&conn) {
                    sh.wq.borrow_mut().push(data);
                    sh.wake_writer.notify_one();
                }
            }
            Output::Close { conn } => {
                if let Some(sh) = self.conns.get(&conn).cloned() {
                    sh.closing.set(true);
                    if sh.connecting.get() {
                        self.conns.remove(&conn);
                        self.lose_conn_now(&sh, None);
                    } else {
                        // The writer flushes the last bytes (a NOTIFICATION), then closes.
                        sh.wake_writer.notify_one();
                        self.timers
                            .add(Instant::now() + CLOSE_GRACE, DriverTimer::ForceClose(conn));
                    }
                }
            }
            Output::PauseReading { conn } => {
                if let Some(sh) = self.conns.get(&conn) {
                    sh.paused.set(true);
                }
            }
            Output::ResumeReading { conn } => {
                if let Some(sh) = self.conns.get(&conn) {
                    sh.paused.set(false);
                    sh.wake_reader.notify_one();
                }
            }
            Output::Spawn {
                process,
                name,
                argv,
                cwd,
            } => self.spawn(process, name, argv, cwd),
            Output::WriteProcess { process, data } => {
                if let Some(p) = self.procs.get(&process) {
                    if !p.close_stdin.get() {
                        p.wq.borrow_mut().push(data);
                        p.wake_writer.notify_one();
                    }
                } else if let Some(c) = self.clients.get(&process) {
                    c.wq.borrow_mut().push(data);
                    c.wake.notify_one();
                }
            }
            Output::PauseProcess { process } => {
                if let Some(p) = self.procs.get(&process) {
                    p.paused.set(true);
                }
            }
            Output::ResumeProcess { process } => {
                if let Some(p) = self.procs.get(&process) {
                    p.paused.set(false);
                    p.wake_reader.notify_one();
                }
            }
            Output::CloseProcessStdin { process } => {
                if let Some(p) = self.procs.get(&process) {
                    p.close_stdin.set(true);
                    p.wake_writer.notify_one();
                } else if let Some(c) = self.clients.get(&process) {
                    // The writer ends once the answer is out, then reports ClientGone.
                    c.read_closed.set(true);
                    c.wake.notify_one();
                }
            }
            Output::KillProcess { process } => {
                if let Some(p) = self.procs.get(&process) {
                    tracing::info!(process = %p.name, pid = p.pid, "stopping process");
                    let _ = common::signal_pid(p.pid, libc::SIGTERM);
                    self.timers
                        .add(Instant::now() + KILL_GRACE, DriverTimer::Kill(process));
                }
            }
            Output::Reload => {
                for i in shared::reload_inputs(&mut self.opts.reload) {
                    self.inputs.push(i);
                }
            }
            Output::Exit { code } => self.exit = Some(code),
        }
    }

    fn listen(&mut self, addr: SocketAddr, peers: Vec<ferrobgp_core::ListenPeer>) {
        let l = common::listener_socket(addr).and_then(|sock| {
            if let Err(e) = common::protect_listener(&sock, addr, &peers) {
                tracing::error!(%addr, "listener MD5 keys / minimum TTL: {e}");
            }
            // SAFETY: the fd comes straight from a socket we own.
            let std_l = unsafe { std::net::TcpListener::from_raw_fd(sock.into_raw_fd()) };
            TcpListener::from_std(std_l)
        });
        match l {
            Ok(l) => {
                tracing::info!(%addr, "listening");
                let tx = self.tx.clone();
                let task = spawn_local(async move {
                    loop {
                        match l.accept().await {
                            Ok((stream, remote)) => {
                                let Ok(local) = stream.local_addr() else {
                                    continue;
                                };
                                if let Some(min) = common::accepted_min_ttl(&peers, remote) {
                                    let sock = socket2::SockRef::from(&stream);
                                    if let Err(e) = common::set_min_ttl(&sock, remote, min) {
                                        tracing::warn!(%remote, "minimum TTL: {e}");
                                    }
                                }
                                let ev = Ev::Accepted {
                                    stream,
                                    local: common::canonical(local),
                                    remote: common::canonical(remote),
                                };
                                if tx.send(ev).await.is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                // EMFILE and friends: log, back off a little.
                                tracing::warn!("accept: {e}");
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                });
                self.listeners.push(task.abort_handle());
            }
            Err(e) => tracing::error!(%addr, "cannot listen: {e}"),
        }
    }

    fn spawn(&mut self, id: ProcessId, name: String, argv: Vec<String>, cwd: PathBuf) {
        if let Some(old) = self.procs.remove(&id) {
            // A respawn reuses the id; the old child is gone as far as the core knows.
            old.abort_tasks();
            if !old.exited.get() {
                let _ = common::signal_pid(old.pid, libc::SIGKILL);
            }
        }
        let cwd = (!cwd.as_os_str().is_empty()).then_some(cwd);
        let child = common::api_command(&argv, cwd.as_deref())
            .and_then(|c| tokio::process::Command::from(c).spawn());
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(process = %name, ?argv, "cannot start: {e}");
                self.inputs.push(Input::ProcessSpawnFailed {
                    process: id,
                    error: e.to_string(),
                });
                return;
            }
        };
        let pid = child.id().unwrap_or(0);
        tracing::debug!(process = %name, pid, ?argv, "process started");
        let sh = Rc::new(ProcShared {
            id,
            name: name.clone(),
            pid,
            wq: RefCell::new(WriteQueue::new()),
            wake_writer: Notify::new(),
            wake_reader: Notify::new(),
            paused: Cell::new(false),
            close_stdin: Cell::new(false),
            exited: Cell::new(false),
            tasks: RefCell::new(Vec::new()),
        });
        let stdout = child.stdout.take();
        if let Some(err) = child.stderr.take() {
            let t = spawn_local(stderr_task(name.clone(), err));
            sh.tasks.borrow_mut().push(t.abort_handle());
        }
        if let Some(stdin) = child.stdin.take() {
            let tx = self.tx.clone();
            let s = sh.clone();
            let t = spawn_local(async move {
                let on_low = || Some(Input::ProcessWritable { process: s.id });
                if let Err(e) =
                    queue_writer(stdin, &s.wq, &s.wake_writer, &s.close_stdin, on_low, &tx).await
                {
                    // EPIPE: the helper closed its stdin or died; its exit tells the core.
                    tracing::debug!(process = %s.name, "writing: {e}");
                }
                // Nothing more reaches this helper's stdin (as in the mio loop).
                s.close_stdin.set(true);
                s.wq.replace(WriteQueue::new());
            });
            sh.tasks.borrow_mut().push(t.abort_handle());
        }
        // The exit task is not aborted with the others: it reaps the child.
        spawn_local(proc_task(sh.clone(), child, stdout, self.tx.clone()));
        self.procs.insert(id, sh);
        self.inputs.push(Input::ProcessStarted { process: id, pid });
    }

    /// After `Exit`, as in the mio loop: last bytes out, helpers stopped (stdin closed, a grace
    /// period, SIGTERM, SIGKILL), the control socket removed.
    async fn shutdown(&mut self) {
        for (_, sh) in self.conns.drain() {
            if let Some(s) = sh.stream.borrow().as_ref() {
                let _ = sh.wq.borrow_mut().flush_to(&mut TryWrite(s));
                let _ = socket2::SockRef::from(&**s).shutdown(std::net::Shutdown::Both);
            }
            sh.abort();
        }
        for l in self.listeners.drain(..) {
            l.abort();
        }
        for p in self.procs.values() {
            p.close_stdin.set(true);
            p.wake_writer.notify_one();
        }
        let alive = |procs: &HashMap<ProcessId, Rc<ProcShared>>| {
            procs
                .values()
                .filter(|p| !p.exited.get())
                .cloned()
                .collect::<Vec<_>>()
        };
        let wait = |until: Instant| {
            let procs = &self.procs;
            async move {
                while !alive(procs).is_empty() && Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        wait(Instant::now() + EXIT_GRACE).await;
        for p in alive(&self.procs) {
            tracing::info!(process = %p.name, pid = p.pid, "terminating process");
            let _ = common::signal_pid(p.pid, libc::SIGTERM);
        }
        wait(Instant::now() + Duration::from_millis(500)).await;
        for p in alive(&self.procs) {
            tracing::warn!(process = %p.name, pid = p.pid, "killing process");
            let _ = common::signal_pid(p.pid, libc::SIGKILL);
        }
        // Let the exit tasks reap them.
        wait(Instant::now() + Duration::from_millis(500)).await;
        for p in self.procs.values() {
            p.abort_tasks();
        }
        for c in self.clients.values() {
            for t in c.tasks.borrow_mut().drain(..) {
                t.abort();
            }
        }
        if let Some((task, path)) = self.control.take() {
            task.abort();
            let _ = std::fs::remove_file(path);
        }
    }
}

impl ProcShared {
    fn abort_tasks(&self) {
        for t in self.tasks.borrow_mut().drain(..) {
            t.abort();
        }
    }
}
