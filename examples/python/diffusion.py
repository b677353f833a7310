# Creamas' grid diffusion as a Python agent (see examples/python/run.sh):
# each agent starts from a value drawn from its cell and, every round,
# moves half way to the mean of the values its neighbours published in
# the round before. It reads them from memory (grid_neighbor_values),
# without a message, as the built-in C type diffusion does; the values
# differ from the C type's only in how the first ones are drawn.

import random

import creamas_agent


class Diffusion(creamas_agent.Agent):
    rate = 0.5

    def __init__(self):
        if self.xy is None:
            raise ValueError("a Diffusion agent lives in a grid")
        x, y = self.xy
        self.value = random.Random(x * 1000003 + y).random()
        self.grid_publish(self.value)

    def act(self):
        values = [v for v in self.grid_neighbor_values() if v is not None]
        if values:
            self.value += (sum(values) / len(values) - self.value) * \
                self.rate
        self.grid_publish(self.value)

    @creamas_agent.expose
    def get_value(self):
        return self.value
