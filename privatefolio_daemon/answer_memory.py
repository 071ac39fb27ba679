"""What the large answers being read, built and sent hold, bounded for the whole daemon.

An answer of 200,000 audit logs holds about 360 MB at its peak (its rows, its records, its JSON
and its frame) for 64 MB sent, and four clients reading one each at once took the daemon past
700 MB (decision 0021). So the values a client's read returns count toward one budget
(``AnswerMemory``), from the read until the answer's frame is written to the socket. They are
counted as the client SQL caps count them: a text by its length, any other value 8 bytes.

A read counts nothing until its values pass ``LARGE_READ_BYTES``: small answers never wait.
Past it, the read takes its values from the budget as it goes. Once they would pass it while
other answers hold some, the read stops: its answer gives back what it holds and waits in line,
holding nothing, until no large answer is held any more. Then it reads again, alone, and the
reads after it wait until it is sent: one answer may pass the budget alone, as one frame may
pass the output budget. An answer made without such a read (a snapshot) counts its JSON once
encoded, without waiting: it is made already.

Only reads inside ``read_in_turn`` take from the budget (they may be run again), and only those
made for an answer (``ANSWER``, set by the RPC connection for each message); the answer's claim
is made by its first large read, so that a small answer costs next to nothing.
"""

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

#: A read whose values pass this counts them from then on; smaller ones never wait.
LARGE_READ_BYTES = 2**20
#: What a large read takes from the budget at a time.
TAKEN_AT_ONCE = 2**20

T = TypeVar("T")


class MustWait(Exception):
    """A read was refused: its answer waits its turn (``AnswerClaim.turn``), then reads again."""

    def __init__(self, claim: "AnswerClaim", admissions: int) -> None:
        super().__init__("The daemon's budget for large answers is full")
        self.claim = claim
        self.admissions = admissions


class AnswerDropped(Exception):
    """The answer will never be sent (its client went away): its read stops."""


class AnswerMemory:
    """The daemon's budget; claims are taken on reader threads, hence the lock."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: What the claims hold now.
        self.held = 0
        #: How many times a read was refused and its answer waited, since the start.
        self.waits = 0
        self._lock = threading.Lock()
        self._line: deque[AnswerClaim] = deque()
        #: The answer that left the line, which may take all it needs.
        self._alone: AnswerClaim | None = None

    @property
    def waiting(self) -> int:
        """Answers waiting their turn now."""
        return len(self._line)

    def _take(self, claim: "AnswerClaim", wanted: int) -> bool:
        """Whether ``claim`` may hold ``wanted`` bytes more; called with the lock held. An answer
        that holds nothing yet waits behind those in line; one that holds some goes on while
        the budget has room, or while nothing else is held."""
        if claim is self._alone:
            return True
        if not claim.held and (self._line or self._alone is not None):
            return False
        return self.held + wanted <= self.max_bytes or self.held == claim.held

    def _refuse(self, claim: "AnswerClaim") -> None:
        """``claim`` gives back what it holds and joins the line; called with the lock held."""
        self._give_back(claim)
        if claim not in self._line:
            self._line.append(claim)
            self.waits += 1
        self._admit_next()

    def _give_back(self, claim: "AnswerClaim") -> None:
        self.held -= claim.held
        claim.held = 0

    def _release(self, claim: "AnswerClaim") -> None:
        """With the lock held."""
        self._give_back(claim)
        if claim is self._alone:
            self._alone = None
        if claim in self._line:
            self._line.remove(claim)
        self._admit_next()

    def _admit_next(self) -> None:
        """Once no large answer is held, the first in line reads alone; lock held."""
        if self._alone is None and self._line and self.held == 0:
            self._alone = self._line.popleft()
            self._alone.admissions += 1
            self._alone.wake()


class ClientAnswers:
    """The answers of one client (an RPC connection). Once it leaves, the reads of its answers
    stop, waiting or not."""

    __slots__ = ("gone", "memory")

    def __init__(self, memory: AnswerMemory) -> None:
        self.memory = memory
        self.gone = False

    def message(self) -> "MessageAnswer":
        return MessageAnswer(self)

    def leave(self) -> None:
        memory = self.memory
        with memory._lock:
            self.gone = True
            waiting = [claim for claim in memory._line if claim.client is self]
            for claim in waiting:
                memory._release(claim)
        for claim in waiting:
            claim.wake()


class MessageAnswer:
    """The answer to one message: the claim its first large read makes, until the connection
    takes it with the frame (``finish``). Made and asked on the event loop only."""

    __slots__ = ("_claim", "_client", "_finished")

    def __init__(self, client: ClientAnswers) -> None:
        self._client = client
        self._claim: AnswerClaim | None = None
        self._finished = False

    def claim(self) -> "AnswerClaim | None":
        """The answer's claim, made now if need be; None once the answer is finished (a task
        the call started reads on its own)."""
        if self._finished:
            return None
        if self._claim is None:
            self._claim = AnswerClaim(self._client, asyncio.get_running_loop())
        return self._claim

    def finish(self) -> "AnswerClaim | None":
        """The claim to release once the frame is written, if a large read or answer made one."""
        self._finished = True
        return self._claim


class AnswerClaim:
    """What one message's answer holds of the budget, from its reads until its frame is written
    or dropped (``release``)."""

    __slots__ = ("_loop", "_memory", "_turns", "admissions", "client", "held", "released")

    def __init__(self, client: ClientAnswers, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self._memory = client.memory
        self._loop = loop
        #: Counted in ``memory.held``.
        self.held = 0
        #: How many times it left the line.
        self.admissions = 0
        #: Its answer was sent, or has none: what still reads for it (a task the call started)
        #: counts nothing.
        self.released = False
        self._turns: list[asyncio.Future[None]] = []

    def take(self, nbytes: int) -> None:
        """Hold ``nbytes`` more for a read (on its thread), or raise ``MustWait``."""
        memory = self._memory
        with memory._lock:
            if self.client.gone:
                raise AnswerDropped("The client went away before its answer was made")
            if self.released:
                return
            if not memory._take(self, nbytes):
                memory._refuse(self)
                raise MustWait(self, self.admissions)
            self.held += nbytes
            memory.held += nbytes

    def count(self, nbytes: int) -> None:
        """Hold ``nbytes`` more for an answer made already: nothing can wait any more."""
        memory = self._memory
        with memory._lock:
            if not self.released:
                self.held += nbytes
                memory.held += nbytes

    async def turn(self, admissions: int) -> None:
        """Wait until the claim leaves the line after its ``admissions``-th time."""
        while True:
            with self._memory._lock:
                if self.client.gone:
                    raise AnswerDropped("The client went away while its answer waited")
                if self.admissions > admissions or self.released:
                    return
                turn = self._loop.create_future()
                self._turns.append(turn)
            await turn

    def wake(self) -> None:
        """Wake its waiting reads (from any thread)."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing waits any more
            self._loop.call_soon_threadsafe(self._woken)

    def _woken(self) -> None:
        turns, self._turns = self._turns, []
        for turn in turns:
            if not turn.done():
                turn.set_result(None)

    def release(self) -> None:
        """The answer was written, or will never be: give back what it holds."""
        memory = self._memory
        with memory._lock:
            if self.released:
                return
            self.released = True
            memory._release(self)
            waiting = bool(self._turns)
        if waiting:
            self.wake()


#: The answer being made in this context (an RPC message's), if any.
ANSWER: ContextVar[MessageAnswer | None] = ContextVar("answer", default=None)
#: The claim reads take from: set inside ``read_in_turn`` only, where a refused read runs again.
_TAKING: ContextVar[AnswerClaim | None] = ContextVar("answer_claim_taken", default=None)


async def read_in_turn(read: Callable[[], Awaitable[T]]) -> T:
    """``read()``, its values counted toward the answer's claim; each time it is refused, again
    once its answer's turn has come."""
    answer = ANSWER.get()
    claim = None if answer is None else answer.claim()
    if claim is None:
        return await read()
    while True:
        taking = _TAKING.set(claim)
        try:
            return await read()
        except MustWait as refusal:
            admissions = refusal.admissions
        finally:
            _TAKING.reset(taking)
        # Outside the handler: the refusal's traceback holds the rows read so far.
        await claim.turn(admissions)


class ReadTally:
    """Counts a read's values (on its thread) and, once they pass ``LARGE_READ_BYTES``, takes
    them from the claim of ``read_in_turn``, if the read runs inside one."""

    def __init__(self) -> None:
        self._claim = _TAKING.get()
        self._read = 0
        self._taken = 0

    def add(self, nbytes: int) -> None:
        self._read += nbytes
        if self._claim is None or self._read < LARGE_READ_BYTES or self._read <= self._taken:
            return
        wanted = max(TAKEN_AT_ONCE, self._read - self._taken)
        self._claim.take(wanted)
        self._taken += wanted
