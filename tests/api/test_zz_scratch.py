import pytest
pytestmark = pytest.mark.django_db

def test_explore(setup, api):
    for p in ["/tickets/abc", "/tickets/99999999999999999999", "/tickets/9223372036854775808", "/tickets/2147483648", "/tickets/-1", "/tickets/0", "/counters/99999999999999999999", "/halls/zz/queue", "/halls/" + "x"*300 + "/queue"]:
        r = api.get(p, as_user="agent1")
        print(p[:40], r.status_code, r["Content-Type"], r.content[:200])
    r = api.post("/counters/99999999999999999999/open", as_user="agent1")
    print(r.status_code, r.content[:200])
    r = api.put("/tickets/99999999999999999999/pre-order", as_user="clerk", body={})
    print(r.status_code, r.content[:200])
    r = api.post(f"/counters/{setup.counters[0].pk}/resume", as_user="agent1", body={"ticket": 99999999999999999999})
    print(r.status_code, r.content[:200])
    r = api.post(f"/counters/{setup.counters[0].pk}/transfer", as_user="agent1", body={"counter": 99999999999999999999})
    print(r.status_code, r.content[:200])
