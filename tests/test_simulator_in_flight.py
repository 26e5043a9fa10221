"""The simulator's in-flight figure: the most API requests one account had open at once."""

import threading


def test_sequential_requests_are_one_in_flight(fresh_sim):
    sim = fresh_sim("--sales", "200", "--seed", "3")
    client = sim.client()
    for _page in range(3):
        client.get("Shop.json")
    stats = sim.stats()
    assert stats["api_max_in_flight"] == 1
    assert stats["api_in_flight"] == 0


def test_parallel_clients_are_counted_together_and_reset(fresh_sim):
    sim = fresh_sim("--sales", "3000", "--seed", "3")
    clients = [sim.client() for _worker in range(4)]
    barrier = threading.Barrier(len(clients))

    def work(client):
        barrier.wait()
        for _page in range(5):
            client.get("Sale.json", {"load_relations": '["SaleLines","SalePayments"]'})

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sim.stats()["api_max_in_flight"] >= 2
    sim.hook("reset_stats")
    assert sim.stats()["api_max_in_flight"] == 0
