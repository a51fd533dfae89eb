"""The worker process of :mod:`neurosim.hw.lava.runner` (``python -m
neurosim.hw.lava._worker``). It reads length-framed pickled requests ``(op, kwargs)``
from stdin and answers ``("ok", result)`` or ``("error", traceback)`` on the
original stdout; anything else printed goes to stderr. It owns at most one Lava
graph and always stops its runtime on the way out. Nothing runs on import."""
import os
import pickle
import signal
import struct
import sys
import threading
import time
import traceback

HEADER = struct.Struct(">Q")


def _read_frame(f):
    head = f.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    body = bytearray()
    while len(body) < size:
        chunk = f.read(size - len(body))
        if not chunk:
            return None
        body += chunk
    return pickle.loads(bytes(body))


def _write_frame(f, msg):
    data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(HEADER.pack(len(data)) + data)
    f.flush()


def _watch_parent(parent):
    """Kill this worker's whole process group once its parent is gone."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            try:
                os.killpg(os.getpgid(0), signal.SIGKILL)
            finally:
                os._exit(1)


class Writer:
    """Frames to the parent from two threads (requests and the failure monitor)."""

    def __init__(self, f):
        self.f = f
        self.lock = threading.Lock()
        self.failed = False

    def send(self, msg, failure=False):
        with self.lock:
            if self.failed:
                return
            self.failed = failure
            _write_frame(self.f, msg)


def _actor_failure(actor):
    """The traceback a dead Lava actor left, or a note when it left none."""
    try:
        conn = actor._pconn
        if conn.poll(0.2):
            got = conn.recv()
            if got:
                return got[1]
    except Exception:
        pass
    got = getattr(actor, "_exception", None)
    if got:
        return got[1]
    return f"(the process exited with code {actor.exitcode} and left no traceback)"


def _monitor(state, writer):
    """Report at once when a process of the Lava runtime dies during a run: Lava
    itself would wait forever in Runtime._get_resp (it joins every actor, and the
    live ones are blocked on their channels)."""
    while True:
        time.sleep(0.05)
        graph = state.graph
        if graph is None or not graph.started or state.stopping:
            continue
        runtime = getattr(graph.neuron, "runtime", None)
        infra = getattr(runtime, "_messaging_infrastructure", None)
        for actor in list(getattr(infra, "actors", None) or []):
            try:
                code = actor.exitcode
            except Exception:
                continue
            if code is not None and not state.stopping:
                writer.send(("error", "a process of the Lava runtime died during the run; its traceback:\n"
                                      + _actor_failure(actor)), failure=True)
                return


class WorkerState:
    def __init__(self):
        self.graph = None
        self.stopping = False

    def close(self):
        graph, self.graph = self.graph, None
        if graph is not None:
            self.stopping = True
            try:
                graph.stop()
            finally:
                self.stopping = False

    # -- ops ------------------------------------------------------------------------
    def op_build(self, spec, record=0):
        from neurosim.hw.lava.export import build_graph
        from neurosim.hw.lava.learning import input_rule, margin_rule
        self.close()
        learn = spec.get("learning")
        rule = margin_rule(learn) if learn else None
        rule_in = input_rule(learn) if learn and spec.get("input") is not None else None
        self.graph = build_graph(spec, record=record, learning_rule=rule, input_rule=rule_in)
        return {"connections": sorted(self.graph.conns)}

    def op_relax(self, steps):
        g = self._graph()
        t0 = time.perf_counter()
        g.run(steps)
        seconds = time.perf_counter() - t0
        neu = g.neuron
        rec = neu.rec.get()
        k = min(int(neu.rec_len.get()[0]), rec.shape[0])
        return {"rec": rec[:k], "stable_at": int(neu.stable_at.get()[0]), "state": neu.s.get(),
                "seconds": seconds}

    def op_run(self, steps):
        t0 = time.perf_counter()
        self._graph().run(steps)
        return {"seconds": time.perf_counter() - t0}

    def op_learn_round(self, **kwargs):
        from neurosim.hw.lava.learning import learn_round
        return learn_round(self._graph(), **kwargs)

    def op_set_weights(self, **kwargs):
        from neurosim.hw.lava.learning import set_weights
        return set_weights(self._graph(), **kwargs)

    def op_weights(self):
        from neurosim.hw.lava.learning import read_weights
        return read_weights(self._graph())

    def op_stop(self):
        self.close()
        return True

    def _graph(self):
        if self.graph is None:
            raise RuntimeError("no Lava graph: send 'build' first")
        return self.graph


def main():
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)                         # stray prints of Lava and its children -> stderr
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    writer = Writer(proto_out)
    state = WorkerState()
    threading.Thread(target=_monitor, args=(state, writer), daemon=True).start()
    try:
        while True:
            msg = _read_frame(proto_in)
            if msg is None:
                break
            op, kwargs = msg
            if op == "exit":
                writer.send(("ok", True))
                break
            try:
                fn = getattr(state, "op_" + op, None)
                if fn is None:
                    raise ValueError(f"unknown request {op!r}")
                writer.send(("ok", fn(**kwargs)))
            except BaseException:
                writer.send(("error", traceback.format_exc()), failure=True)
                break
    finally:
        if not writer.failed:
            state.close()


if __name__ == "__main__":
    sys.exit(main())
