// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IERC20 {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// An order escrow: the buyer locks the price for a payee; only the arbiter (the hub) releases
/// it to the payee or refunds it to the payer, once.
contract AgxEscrow {
    enum State { None, Locked, Released, Refunded }

    struct Lock {
        address payer;
        address payee;
        address token;
        uint256 amount;
        State state;
    }

    address public immutable arbiter;
    mapping(bytes32 => Lock) public locks;

    event Locked(bytes32 indexed orderRef, address indexed payer, address token, uint256 amount, address payee);
    event Released(bytes32 indexed orderRef, address indexed payee, address token, uint256 amount);
    event Refunded(bytes32 indexed orderRef, address indexed payer, address token, uint256 amount);

    constructor(address arbiter_) {
        require(arbiter_ != address(0), "arbiter");
        arbiter = arbiter_;
    }

    function lock(bytes32 orderRef, address token, uint256 amount, address payee) external {
        require(amount > 0, "amount");
        require(payee != address(0), "payee");
        require(locks[orderRef].state == State.None, "locked");
        locks[orderRef] = Lock(msg.sender, payee, token, amount, State.Locked);
        require(IERC20(token).transferFrom(msg.sender, address(this), amount), "transferFrom");
        emit Locked(orderRef, msg.sender, token, amount, payee);
    }

    function release(bytes32 orderRef) external {
        require(msg.sender == arbiter, "arbiter");
        Lock storage l = locks[orderRef];
        require(l.state == State.Locked, "state");
        l.state = State.Released;
        require(IERC20(l.token).transfer(l.payee, l.amount), "transfer");
        emit Released(orderRef, l.payee, l.token, l.amount);
    }

    function refund(bytes32 orderRef) external {
        require(msg.sender == arbiter, "arbiter");
        Lock storage l = locks[orderRef];
        require(l.state == State.Locked, "state");
        l.state = State.Refunded;
        require(IERC20(l.token).transfer(l.payer, l.amount), "transfer");
        emit Refunded(orderRef, l.payer, l.token, l.amount);
    }
}
