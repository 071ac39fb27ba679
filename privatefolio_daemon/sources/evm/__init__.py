"""The EVM wallet connection source: history from an Etherscan-compatible explorer or from
``eth_getLogs``, current balances through Multicall3. web3 is imported lazily, on first sync."""
