# The demo's counters as Python agents (see examples/python/run.sh).
#
# Counter is the built-in C type counter written in Python: it starts
# from params.start, adds 1 (or the round's args.by) each round, answers
# "get" and "reset", and logs its count when the environment stops.
# Gossip is a counter that also asks every agent it is connected to for
# its count, awaiting each answer, and publishes the largest.

import creamas_agent


class Counter(creamas_agent.Agent):
    def __init__(self, start=0):
        self.count = start

    def act(self, by=1):
        self.count += by
        return self.count

    @creamas_agent.expose
    def get(self):
        return self.count

    @creamas_agent.expose
    def reset(self):
        self.count = 0

    def close(self, folder):
        self.log("count", self.count)


class Gossip(Counter):
    async def act(self, by=1):
        self.count += by
        best = self.count
        for addr in self.connections:
            best = max(best, await self.call(addr, "get"))
        self.publish({"largest": best, "round": self.round})
