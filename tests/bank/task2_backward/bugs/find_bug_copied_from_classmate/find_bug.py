# bug: hands in a classmate's answers (worked out on the classmate's networks, not on one's own)
def my_suspects():
    return {"A": ("Dense_1.W", "m"), "B": ("Dense_2", "1/2")}


suspects = record_suspects(my_suspects, STUDENT_ID)
