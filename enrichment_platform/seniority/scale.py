"""The seniority scale: the levels a posting can get (1..7) and their names."""

MIN_LEVEL = 1
MAX_LEVEL = 7
LEVELS = tuple(range(MIN_LEVEL, MAX_LEVEL + 1))
LEVEL_NAMES = {
    1: "Entry",
    2: "Junior",
    3: "Associate",
    4: "Manager",
    5: "Director",
    6: "Executive",
    7: "Senior Executive",
}
